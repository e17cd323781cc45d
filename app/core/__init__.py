"""The provider-neutral core: storage, money, clock, lifecycle rules and invoice commands.

Nothing in here imports a provider; providers translate their wire formats into calls on
`app.core.invoices` and render the returned rows themselves.
"""
