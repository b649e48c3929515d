package main

import (
	"embed"
	"fmt"
)

// The long help of every command, one text file each (help/NAME.txt).
//
//go:embed help/*.txt
var helpFiles embed.FS

// help is a command's long help.
func help(name string) string {
	data, err := helpFiles.ReadFile("help/" + name + ".txt")
	if err != nil {
		panic(fmt.Sprintf("robustdata: no help/%s.txt", name)) // a build mistake, caught by every test
	}
	return string(data)
}
