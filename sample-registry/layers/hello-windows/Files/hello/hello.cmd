@echo off
rem Says which platform of the multi-arch sample image is running.
type C:\hello\platform.txt
