"""The file layer: the safety gate, the xlsx reader and the lossless writer, file operations
(locks, backups, atomic replace) and the bookkeeping-export reader. Where files are read and written.
"""
