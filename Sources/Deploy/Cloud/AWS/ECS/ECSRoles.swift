/// The IAM roles of a cluster's ECS tasks (dask-cloudprovider's `execution_role_arn`,
/// `task_role_arn`, `task_role_policies`).
public struct ECSRoles: Sendable, Hashable {
    /// The role ECS starts the tasks with (pulls the image, writes the logs, reads the TLS
    /// secrets): one you have, else `NAME-execution` is made and removed on close.
    public var executionRoleARN: String?
    /// The role the tasks' code runs as (what the workers may do in the account, S3 say): one
    /// you have, else one made with `taskRolePolicies`, else none.
    public var taskRoleARN: String?
    /// Managed policies (their ARNs) of a `NAME-task` role made for the cluster, when no
    /// `taskRoleARN` is given.
    public var taskRolePolicies: [String]

    public init(executionRoleARN: String? = nil, taskRoleARN: String? = nil, taskRolePolicies: [String] = []) {
        self.executionRoleARN = executionRoleARN
        self.taskRoleARN = taskRoleARN
        self.taskRolePolicies = taskRolePolicies
    }
}
