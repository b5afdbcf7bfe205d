-- experiments 1.0: install script, assembled by the Makefile from sql/src/*.sql
-- in file-name order.  Edit the sources, never the assembled file.

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION experiments" to load this file. \quit

-- The schema is created by CREATE EXTENSION (schema = experiments in the
-- control file).  Nothing here relies on search_path: every name is
-- qualified with experiments. or pg_catalog.
