// SPDX-License-Identifier: GPL-2.0
/*
 * A flawed hello.c for the example lab: its exit function never removes /proc/hello_msg, so
 * the file outlives the module, and the next insmod cannot create it again.
 */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define MSG_MAX 64

static unsigned int count = 3;
module_param(count, uint, 0444);

static struct task_struct *task;
static struct proc_dir_entry *msg_entry;

static DEFINE_MUTEX(msg_lock);
static char *msg;
static size_t msg_len;

static ssize_t msg_read(struct file *file, char __user *buf, size_t size, loff_t *pos)
{
	ssize_t ret;

	mutex_lock(&msg_lock);
	ret = simple_read_from_buffer(buf, size, pos, msg, msg_len);
	mutex_unlock(&msg_lock);
	return ret;
}

static ssize_t msg_write(struct file *file, const char __user *buf, size_t size, loff_t *pos)
{
	char *copy;

	if (size > MSG_MAX)
		return -EINVAL;
	copy = kmalloc(size ? size : 1, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	if (copy_from_user(copy, buf, size)) {
		kfree(copy);
		return -EFAULT;
	}
	mutex_lock(&msg_lock);
	kfree(msg);
	msg = copy;
	msg_len = size;
	mutex_unlock(&msg_lock);
	return size;
}

static const struct proc_ops msg_ops = {
	.proc_read = msg_read,
	.proc_write = msg_write,
	.proc_lseek = default_llseek,
};

static int hello_thread(void *data)
{
	pr_info("hello: count = %u\n", count);
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init hello_init(void)
{
	msg_entry = proc_create("hello_msg", 0644, NULL, &msg_ops);
	if (!msg_entry)
		return -ENOMEM;
	task = kthread_run(hello_thread, NULL, "hello_thread");
	if (IS_ERR(task)) {
		proc_remove(msg_entry);
		return PTR_ERR(task);
	}
	return 0;
}

static void __exit hello_exit(void)
{
	kthread_stop(task);
	kfree(msg);
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Prints its parameter from a kernel thread");
