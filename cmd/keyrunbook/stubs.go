package main

import (
	"context"
)

// notYet is the honest answer of a command whose work has not landed.
func notYet(what string) error {
	return usagef("%s is not yet available in this build", what)
}

func cmdRespond(ctx context.Context, args []string, io streams) error { return notYet("respond") }

func cmdTrain(ctx context.Context, args []string, io streams) error { return notYet("train") }
