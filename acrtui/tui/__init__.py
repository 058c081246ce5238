"""The Textual app: screens and widgets. Data comes only through acrtui.client."""
