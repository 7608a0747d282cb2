"""Renderers: turn results into text for people or formats for machines. The core never imports rich."""
