module easytask.test/gocompat

go 1.19
