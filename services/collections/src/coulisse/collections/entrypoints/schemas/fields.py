"""Field types of collections' request bodies: strict about dates and whole numbers.

Business rules (an amount above zero, levels in order, …) are the domain's: it refuses them
naming the field. These types only refuse what is not the right kind of value.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict

WholeNumber = Annotated[int, Strict()]
"""A JSON integer: neither "7" nor 7.0 nor true."""
