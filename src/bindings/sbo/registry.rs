//! SBO's built-in registry of operator-backed services (sbo-semantics §6): binding annotations
//! for custom resources whose CRDs carry none, keyed by group, version and kind.

/// The registry entry's annotations for a service type, if any.
pub fn annotations(group: &str, version: &str, kind: &str) -> Option<&'static [(&'static str, &'static str)]> {
    let percona_mysql: &[(&str, &str)] = &[
        ("service.binding/type", "mysql"),
        ("service.binding/provider", "percona"),
        ("service.binding/database", "mysql"),
        ("service.binding/port", "3306"),
        ("service.binding/username", "root"),
        ("service.binding", "path={.spec.secretsName},objectType=Secret"),
        ("service.binding/host", "path={.status.host}"),
        ("service.binding/password", "path={.spec.secretsName},objectType=Secret,sourceKey=root"),
    ];
    let percona_mongo: &[(&str, &str)] = &[
        ("service.binding/type", "mongodb"),
        ("service.binding/provider", "percona"),
        ("service.binding", "path={.spec.secrets.users},objectType=Secret"),
        ("service.binding/username", "path={.spec.secrets.users},objectType=Secret,sourceKey=MONGODB_USER_ADMIN_USER"),
        ("service.binding/password", "path={.spec.secrets.users},objectType=Secret,sourceKey=MONGODB_USER_ADMIN_PASSWORD"),
        ("service.binding/host", "path={.status.host}"),
    ];
    match (group, version, kind) {
        ("redis.redis.opstreelabs.in", "v1beta1", "Redis") => Some(&[
            ("service.binding/type", "redis"),
            ("service.binding/host", "path={.metadata.name}"),
            (
                "service.binding/password",
                "path={.spec.kubernetesConfig.redisSecret.name},objectType=Secret,sourceKey=password,optional=true",
            ),
        ]),
        ("postgres-operator.crunchydata.com", "v1beta1", "PostgresCluster") => Some(&[
            ("service.binding/type", "postgresql"),
            ("service.binding/provider", "crunchydata"),
            ("service.binding", "path={.metadata.name}-pguser-{.metadata.name},objectType=Secret"),
            ("service.binding/database", "path={.metadata.name}-pguser-{.metadata.name},objectType=Secret,sourceKey=dbname"),
            ("service.binding/username", "path={.metadata.name}-pguser-{.metadata.name},objectType=Secret,sourceKey=user"),
            ("service.binding/cert", "path={.metadata.name}-cluster-cert,objectType=Secret"),
        ]),
        ("pxc.percona.com", "v1-8-0" | "v1-9-0" | "v1-10-0", "PerconaXtraDBCluster") => Some(percona_mysql),
        ("psmdb.percona.com", "v1-9-0" | "v1-10-0" | "v1", "PerconaServerMongoDB") => Some(percona_mongo),
        ("postgresql.k8s.enterprisedb.io", "v1", "Cluster") => Some(&[
            ("service.binding/type", "postgresql"),
            ("service.binding/provider", "enterprisedb"),
            ("service.binding/host", "path={.status.writeService}"),
            ("service.binding", "path={.metadata.name}-{.spec.bootstrap.initdb.owner},objectType=Secret"),
            ("service.binding/database", "path={.spec.bootstrap.initdb.database}"),
        ]),
        ("rabbitmq.com", "v1beta1", "RabbitmqCluster") => Some(&[("servicebinding.io/provisioned-service", "true")]),
        _ => None,
    }
}
