#!/usr/bin/env bash
# Makes sure Debian's ffmpeg (with ffprobe) is at /usr/bin/ffmpeg: the media service probes and
# processes videos with it, and the video tests make their clips with it. Installs it with
# apt-get when run as root; otherwise says what to install (the video tests then skip, and
# the media service refuses videos, saying why).
exec "$(dirname "${BASH_SOURCE[0]}")/debian-tool.sh" /usr/bin/ffmpeg ffmpeg "the video tests"
