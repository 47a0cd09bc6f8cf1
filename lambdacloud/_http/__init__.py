"""The HTTP layer, the only package that imports ``requests`` and ``tenacity``.

- ``session``: the one send path, through the caller's ``requests.Session``;
- ``decoding``: the body within a size cap, and the envelope or the error it stands for;
- ``failures``: transport failures as the library's errors;
- ``retry``: what is retried, how long to wait, and never past a deadline;
- ``pacing``: staying within the API's rate limits, across threads.
"""
