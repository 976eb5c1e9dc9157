package ablate.cluster.dashboard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.concurrent.CompletionStage;

/**
 * What every dashboard page shows at one moment: the runs and nodes as the API's JSON gives them
 * (/api/runs, /api/nodes), and whether the cluster is live or only its folders are read.
 */
record Snapshot(ArrayNode runs, ArrayNode nodes, boolean live) {

    /** Where snapshots come from: the coordinator ({@link LiveSource}) or run folders ({@link FolderSource}). */
    interface Source {
        CompletionStage<Snapshot> take();

        /** False for folders: the page hides the run buttons and the API refuses them. */
        boolean live();
    }
}
