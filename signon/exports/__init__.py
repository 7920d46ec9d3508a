"""Exports of a letter: the signatory list, the final letter as a document, and organizers' contacts."""
