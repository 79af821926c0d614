// Command slt is ShiLianTong's server and tool: slt serve, slt migrate,
// slt check, slt bench. Run "slt --help".
package main

import (
	"os"

	"github.com/shiliantong/shiliantong/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
