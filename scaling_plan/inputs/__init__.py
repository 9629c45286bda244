"""The ways in: flags and files -> validated requests for the domain. Every value remembers where it came from (a
flag, or file:line and field). Imports the domain; never the outputs or the command line."""
