# The smallest scripted test: init ran, /proc is there, the shell works.
echo "smoke: kernel $(uname -r) on $(uname -m)"
grep -q . /proc/cmdline && echo "smoke: ok"
