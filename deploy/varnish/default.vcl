# courtesy behind Varnish (7.x, with vmod xkey from varnish-modules).
#
# Published pages carry `Cache-Control: public, s-maxage=…` and an `xkey` header naming the
# item, its origin and every list, feed and sitemap page they are on. A takedown (or a
# restoration) sends one `PURGE /` with an `xkey-purge: <keys…>` header: every page filed
# under one of the keys is removed at once (EDGE_CACHE_URL=http://<this varnish>,
# EDGE_CACHE_KIND=varnish-xkey). A PURGE without the header purges that one URL
# (EDGE_CACHE_KIND=purge). Only the addresses in acl purgers may purge.
vcl 4.1;

import xkey;

backend default {
    .host = "127.0.0.1";
    .port = "8000";
}

acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            # Hard purge: nothing of a removed page is kept, not even for grace.
            set req.http.x-purged = xkey.purge(req.http.xkey-purge);
            return (synth(200, "Purged " + req.http.x-purged));
        }
        return (purge);
    }
    # The public pages are the same for everyone: a session or CSRF cookie must not keep
    # them from the cache. The admin, the forms and the API are never cached.
    if (req.url ~ "^/(admin|api|takedown|transparency|reports|healthz)") {
        return (pass);
    }
    if (req.method == "GET" || req.method == "HEAD") {
        unset req.http.Cookie;
        unset req.http.Authorization;
    }
}

sub vcl_backend_response {
    # Django's 451 says no-store; the built-in logic then caches nothing of it.
    if (beresp.http.Set-Cookie) {
        set beresp.uncacheable = true;
        return (deliver);
    }
}

sub vcl_deliver {
    # The keys are for this cache, not for readers.
    unset resp.http.xkey;
    unset resp.http.Surrogate-Key;
}
