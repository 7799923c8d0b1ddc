"""Templates of the files offermap writes.

They are Python strings rather than template files so that they install with the
package without any package-data configuration.
"""
