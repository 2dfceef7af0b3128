"""app/adapters"""
