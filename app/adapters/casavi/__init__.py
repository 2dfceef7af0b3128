"""app/adapters/casavi"""
