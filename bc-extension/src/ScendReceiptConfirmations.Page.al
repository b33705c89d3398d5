/// <summary>
/// API page receiptConfirmations (docs/bc-extension-api.md §5): a receipt from Scend, posted as a purchase
/// receipt without invoicing.
/// </summary>
page 50115 "Scend Receipt Confirmations"
{
    APIGroup = 'warehouse';
    APIPublisher = 'scendIntegration';
    APIVersion = 'v1.0';
    DelayedInsert = true;
    EntityCaption = 'Receipt Confirmation';
    EntityName = 'receiptConfirmation';
    EntitySetCaption = 'Receipt Confirmations';
    EntitySetName = 'receiptConfirmations';
    Extensible = false;
    ODataKeyFields = SystemId;
    PageType = API;
    SourceTable = "Scend Receipt Confirmation";

    layout
    {
        area(Content)
        {
            repeater(Records)
            {
                field(id; Rec.SystemId)
                {
                    Caption = 'Id';
                    Editable = false;
                }
                field(scendReceiptId; Rec."Scend Receipt Id")
                {
                    Caption = 'Scend Receipt Id';
                }
                field(purchaseOrderId; Rec."Purchase Order Id")
                {
                    Caption = 'Purchase Order Id';
                }
                field(purchaseOrderNumber; Rec."Purchase Order No.")
                {
                    Caption = 'Purchase Order No.';
                    Editable = false;
                }
                field(receiptDate; Rec."Receipt Date")
                {
                    Caption = 'Receipt Date';
                }
                field(vendorShipmentNumber; Rec."Vendor Shipment No.")
                {
                    Caption = 'Vendor Shipment No.';
                }
                field(status; Rec.Status)
                {
                    Caption = 'Status';
                    Editable = false;
                }
                field(purchaseReceiptId; Rec."Purch. Receipt Id")
                {
                    Caption = 'Purchase Receipt Id';
                    Editable = false;
                }
                field(purchaseReceiptNumber; Rec."Purch. Receipt No.")
                {
                    Caption = 'Purchase Receipt No.';
                    Editable = false;
                }
                field(lastModifiedDateTime; Rec.SystemModifiedAt)
                {
                    Caption = 'Last Modified Date Time';
                    Editable = false;
                }
                part(receiptConfirmationLines; "Scend Receipt Conf. Lines")
                {
                    Caption = 'Lines';
                    EntityName = 'receiptConfirmationLine';
                    EntitySetName = 'receiptConfirmationLines';
                    SubPageLink = "Document Id" = field(SystemId);
                }
            }
        }
    }

    trigger OnOpenPage()
    begin
        ScendCreateGuard.Reset();
    end;

    trigger OnInsertRecord(BelowxRec: Boolean): Boolean
    begin
        // Idempotent create (contract §2.1): a known Scend id answers the existing confirmation, and the
        // lines of the repeated body are ignored.
        if Rec.LoadExisting() then begin
            ScendCreateGuard.MarkRepeated(Rec.SystemId);
            exit(false);
        end;
        exit(true);
    end;

    trigger OnModifyRecord(): Boolean
    begin
        Rec.TestStatusOpen();
        Rec.TestInsertOnlyFields(xRec);
        exit(true);
    end;

    trigger OnDeleteRecord(): Boolean
    begin
        Rec.TestStatusOpen();
        exit(true);
    end;

    var
        ScendCreateGuard: Codeunit "Scend Create Guard";

    /// <summary>POST .../receiptConfirmations({id})/Microsoft.NAV.post: receives the order, answers the confirmation.</summary>
    [ServiceEnabled]
    procedure Post(var ActionContext: WebServiceActionContext)
    var
        ScendReceiptPost: Codeunit "Scend Receipt Post";
    begin
        ScendReceiptPost.Post(Rec);
        ActionContext.SetObjectType(ObjectType::Page);
        ActionContext.SetObjectId(Page::"Scend Receipt Confirmations");
        ActionContext.AddEntityKey(Rec.FieldNo(SystemId), Rec.SystemId);
        ActionContext.SetResultCode(WebServiceActionResultCode::Get);
    end;
}
