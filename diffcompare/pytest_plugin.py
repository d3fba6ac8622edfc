"""pytest plugin (entry point ``pytest11``): the ``gradcheck`` fixture. Filled in by the
gradient-check work; registered here so installing diffcompare is enough."""
