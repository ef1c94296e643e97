"""The one root of the project's own errors.

Every error that library code raises on purpose (an unreadable file, an index
built with another model, a bad filter, a missing model) is a ``CablesError``
whose message names what is wrong, where, and the fix. Only the edges turn it
into something else: the CLI into a one-line message and exit status 1, the web
layer into a 4xx response.
"""


class CablesError(Exception):
    """A problem the user can fix; ``str(error)`` says what, where and how."""
