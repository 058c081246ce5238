"""Modal screens: confirmation, help, profile switcher."""
