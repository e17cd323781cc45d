"""The control plane (`/_sandbox/...`) and the hosted checkout pages."""
