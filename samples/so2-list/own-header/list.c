// SPDX-License-Identifier: GPL-2.0
/*
 * list.c - SO2 Assignment 0, "Kernel API", for Linux 6.1.
 *
 * Keeps a list of names. Commands written to /proc/list/management, one per
 * write, change it: "addf NAME" adds at the head, "adde NAME" at the tail,
 * "delf NAME" removes the first occurrence, "dela NAME" every occurrence.
 * /proc/list/preview shows the list from head to tail, one name per line.
 */
#include <linux/list.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "list_item.h"


static LIST_HEAD(names);
/* Readers print under it too: seq_printf() into the seq_file never sleeps. */
static DEFINE_SPINLOCK(names_lock);

static struct proc_dir_entry *list_dir;

static void free_item(struct item *item)
{
	kfree(item->name);
	kfree(item);
}

static int add_name(const char *name, bool at_head)
{
	struct item *item;

	/* Allocate first: GFP_KERNEL may sleep, which is not allowed under the spinlock. */
	item = kmalloc(sizeof(*item), GFP_KERNEL);
	if (!item)
		return -ENOMEM;
	item->name = kstrdup(name, GFP_KERNEL);
	if (!item->name) {
		kfree(item);
		return -ENOMEM;
	}

	spin_lock(&names_lock);
	if (at_head)
		list_add(&item->link, &names);
	else
		list_add_tail(&item->link, &names);
	spin_unlock(&names_lock);
	return 0;
}

static void del_name(const char *name, bool all)
{
	struct item *item, *tmp;
	LIST_HEAD(doomed);

	/* Only unlink under the lock; freeing can wait until it is released. */
	spin_lock(&names_lock);
	list_for_each_entry_safe(item, tmp, &names, link) {
		if (strcmp(item->name, name))
			continue;
		list_move(&item->link, &doomed);
		if (!all)
			break;
	}
	spin_unlock(&names_lock);

	list_for_each_entry_safe(item, tmp, &doomed, link)
		free_item(item);
}

static ssize_t management_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char *cmd, *name;
	ssize_t ret;

	/* A command is one short line; anything longer is not one. */
	if (count == 0 || count > PAGE_SIZE)
		return -EINVAL;

	cmd = kmalloc(count + 1, GFP_KERNEL);
	if (!cmd)
		return -ENOMEM;
	if (copy_from_user(cmd, ubuf, count)) {
		ret = -EFAULT;
		goto out;
	}
	cmd[count] = '\0';
	/* echo ends the command with a newline that is not part of the name. */
	if (cmd[count - 1] == '\n')
		cmd[count - 1] = '\0';

	/* The name is everything after the first space, spaces included. */
	name = strchr(cmd, ' ');
	if (!name || !name[1]) {
		ret = -EINVAL;
		goto out;
	}
	*name++ = '\0';

	ret = 0;
	if (!strcmp(cmd, "addf"))
		ret = add_name(name, true);
	else if (!strcmp(cmd, "adde"))
		ret = add_name(name, false);
	else if (!strcmp(cmd, "delf"))
		del_name(name, false);
	else if (!strcmp(cmd, "dela"))
		del_name(name, true);
	else
		ret = -EINVAL;
	if (!ret)
		ret = count;
out:
	kfree(cmd);
	return ret;
}

static int preview_show(struct seq_file *m, void *v)
{
	struct item *item;

	spin_lock(&names_lock);
	list_for_each_entry(item, &names, link)
		seq_printf(m, "%s\n", item->name);
	spin_unlock(&names_lock);
	return 0;
}

static int preview_open(struct inode *inode, struct file *file)
{
	return single_open(file, preview_show, NULL);
}

/* No write handler: procfs then fails writes with EIO, so the file is read-only. */
static const struct proc_ops preview_ops = {
	.proc_open = preview_open,
	.proc_read = seq_read,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/* No read handler: procfs then fails reads with EIO, so the file is write-only. */
static const struct proc_ops management_ops = {
	.proc_write = management_write,
};

static int __init list_module_init(void)
{
	list_dir = proc_mkdir("list", NULL);
	if (!list_dir)
		return -ENOMEM;
	if (!proc_create("preview", 0444, list_dir, &preview_ops) ||
	    !proc_create("management", 0222, list_dir, &management_ops)) {
		proc_remove(list_dir);
		return -ENOMEM;
	}
	return 0;
}

static void __exit list_module_exit(void)
{
	struct item *item, *tmp;

	/* proc_remove() waits for handlers still running, so no command can race the freeing. */
	proc_remove(list_dir);

	spin_lock(&names_lock);
	list_for_each_entry_safe(item, tmp, &names, link) {
		list_del(&item->link);
		free_item(item);
	}
	spin_unlock(&names_lock);
}

module_init(list_module_init);
module_exit(list_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A list of names driven through /proc/list/management");
MODULE_AUTHOR("kmgrade");
