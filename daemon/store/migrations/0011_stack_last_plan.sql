-- The plan the last `dew apply` carried out on a stack, kept for the console (issue 17).
ALTER TABLE `stacks` ADD `last_plan` text;
