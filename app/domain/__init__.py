"""app/domain"""
