"""The attack suite: every check goes through HTTP against the running app, the way an attacker would."""
