"""Package layout: the source folder `app/` installs as `invoice_sandbox`.

A user's project often has an `app` package of its own; installing under the distribution's name
keeps the two from shadowing each other. The bundled `fixtures/` ship inside it as
`invoice_sandbox.fixtures`.
"""

from setuptools import find_packages, setup

PACKAGE = "invoice_sandbox"

setup(
    packages=[PACKAGE, *(f"{PACKAGE}.{name}" for name in find_packages("app")),
              f"{PACKAGE}.fixtures"],
    package_dir={PACKAGE: "app", f"{PACKAGE}.fixtures": "fixtures"},
)
