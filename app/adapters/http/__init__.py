"""The one HTTP engine of the gateway's clients (casavi, DocuWare): auth renewal under one
lock, retries with backoff and Retry-After, timeouts and deadlines, throttling, the common error
tree and logs without secrets or personal data. Each system subclasses ``HttpEngine``."""
