"""Blueprints: thin views that parse input, call one service function and render or redirect."""
