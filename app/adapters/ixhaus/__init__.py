"""iX-Haus adapter: interface schema (Core), streaming reader, idempotent writer.

The modules are imported by name (``app.adapters.ixhaus.reader``, ``.schema``, ``.ddl``): the
package itself imports nothing, so ``portal-gateway ixhaus ddl`` loads SQLAlchemy's Core and
the dialects, not the reader's ORM and async stack.
"""
