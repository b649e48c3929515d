package main

import (
	"fmt"

	"github.com/robustdata/robustdata/features"
	"github.com/robustdata/robustdata/partition"
)

// extra applies the settings that are not plain numbers of the configs.
func extra(lc *features.LSAConfig, pc *partition.Config, key string, v float64) error {
	switch key {
	case "noscale":
		pc.NoPatternScale = v != 0
	case "idfpow":
		lc.IDFPower = v
	default:
		return fmt.Errorf("unknown setting %q", key)
	}
	return nil
}
