//go:build race

package main

// raceDetector is set when the tests run under -race, which makes each
// child process of the kill-point test several times slower.
const raceDetector = true
