"""The rules of a treatment, with no Qt and no database: plain dataclasses and functions."""
