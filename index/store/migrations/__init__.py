"""The numbered migrations, ``NNN_name.sql``, applied in order by :meth:`index.store.store.Store.migrate`."""
