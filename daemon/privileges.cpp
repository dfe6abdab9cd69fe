#include "daemon/privileges.hpp"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace port53::daemon {

void drop_privileges(const std::string& user, const std::string& group) {
    if (user.empty()) return;
    const passwd* pw = getpwnam(user.c_str());
    if (!pw) throw std::runtime_error("unknown user '" + user + "'");
    gid_t gid = pw->pw_gid;
    if (!group.empty()) {
        const struct group* gr = getgrnam(group.c_str());
        if (!gr) throw std::runtime_error("unknown group '" + group + "'");
        gid = gr->gr_gid;
    }
    // Order matters: supplementary groups and gid while still root, uid last.
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(pw->pw_uid) != 0)
        throw std::runtime_error("cannot switch to user '" + user + "': " + std::strerror(errno));
    if (setuid(0) == 0)
        throw std::runtime_error("privileges could be regained after dropping them");
}

}  // namespace port53::daemon
