// This module holds no Go code: it keeps node_modules (some npm packages
// ship .go files) out of the lanes module's ./... patterns.
module github.com/lanes-dev/lanes/web/console

go 1.26
