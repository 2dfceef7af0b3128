"""app/sandbox"""
