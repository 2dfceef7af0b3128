"""app/api"""
