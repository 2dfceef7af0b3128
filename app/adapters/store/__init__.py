"""app/adapters/store"""
