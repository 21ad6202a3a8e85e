// Package progress draws the progress line of a long cycle on a terminal:
// "checking images 120/500 (3 errors)", redrawn in place with a carriage
// return at most a few times a second and cleared when the images are
// checked. It is an updater.Progress, so the planner drives it as each
// image is decided, in both modes.
//
// It draws only on a terminal and only with text logs (ForStderr decides);
// logs written through its Logs writer clear the line first, so a log line
// never lands in the middle of it.
package progress
