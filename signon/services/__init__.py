"""The rules of signon, one module per subject; views call these, never the other way round."""
