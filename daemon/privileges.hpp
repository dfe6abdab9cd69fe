// Giving up root once the privileged ports are bound.
#pragma once
#include <string>

namespace port53::daemon {

// Switches to `user` (and `group`, or the user's primary group when empty); throws
// std::runtime_error naming what failed. A no-op when `user` is empty.
void drop_privileges(const std::string& user, const std::string& group);

}  // namespace port53::daemon
