// Building the box's filesystem: the plan's ordered operations, then pivot_root.
#pragma once
#include "helper/plan.h"

namespace coop {

// Makes the id-mapped copies of host trees the plan's stage steps will move into place
// (before the box's namespaces exist: mapping a mount needs privilege over the filesystem).
void prepare_idmapped_trees(const Plan& plan);

// Makes every mount private, runs the stage steps (host paths), then every operation of
// the plan (paths resolved inside plan.root, never outside it).
void run_mount_ops(const Plan& plan);

// Makes plan.root the process's "/" and detaches the old root.
void pivot_into(const std::string& root);

// Sets the hostname and brings loopback up, as the plan says.
void setup_identity(const Plan& plan);

}  // namespace coop
