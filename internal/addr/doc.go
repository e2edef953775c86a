// Package addr parses and checks the address forms of the NB: port
// addresses ("MAC IP..."), router networks ("IP/PREFIX") and MACs. dvr-nbctl
// rejects bad input with these; dvr-northd uses the same rules to skip bad
// rows other clients wrote.
package addr
