#include "engine/routes.hpp"

namespace port53::engine {

RouteMatch closest_route(const wire::Name& name, const std::vector<ZoneRoute>& forward,
                         const std::vector<ZoneRoute>& stub) {
    RouteMatch best;
    auto consider = [&](const std::vector<ZoneRoute>& routes, RouteKind kind) {
        for (const auto& r : routes)
            if (name.is_subdomain_of(r.zone) &&
                (!best.route || r.zone.label_count() > best.route->zone.label_count()))
                best = RouteMatch{&r, kind};
    };
    consider(forward, RouteKind::forward);
    consider(stub, RouteKind::stub);
    return best;
}

}  // namespace port53::engine
