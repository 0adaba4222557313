"""Widgets, dialogs and pages. Calls the store's Desk; never writes SQL."""
