"""Persistence with peewee: the only package that knows SQL or the database engine."""
