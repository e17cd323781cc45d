"""Test harness: `SandboxServer` (serve the sandbox from a test), `SandboxClient` (its control
plane, typed) and the pytest plugin (`invoice_sandbox` fixtures). Modules are imported on use, so
the plugin costs nothing to a test run that does not use them."""
